from shared.errors import NotFound


class ImportJobNotFound(NotFound):
    problem, title = "import-job-not-found", "No such import job"
