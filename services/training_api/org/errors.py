from shared.errors import Conflict, NotFound


class DepartmentNotFound(NotFound):
    problem, title = "department-not-found", "Department not found"


class UnknownDepartment(Conflict):
    problem, title = "unknown-department", "The referenced department does not exist"


class DepartmentCycle(Conflict):
    problem, title = "department-cycle", "A department cannot be its own ancestor"


class SkillNotFound(NotFound):
    problem, title = "skill-not-found", "Skill not found"


class UnknownSkill(Conflict):
    problem, title = "unknown-skill", "The referenced skill does not exist"


class JobRoleNotFound(NotFound):
    problem, title = "job-role-not-found", "Job role not found"


class UnknownJobRole(Conflict):
    problem, title = "unknown-job-role", "The referenced job role does not exist"
