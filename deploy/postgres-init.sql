-- Run once by the postgres container on an empty data volume
-- (/docker-entrypoint-initdb.d): one database per service, owned by the
-- POSTGRES_USER that docker-compose.yml configures.
CREATE DATABASE jifen_training;
CREATE DATABASE jifen_points;
CREATE DATABASE jifen_rewards;
