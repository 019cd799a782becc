from shared.errors import Conflict, NotFound


class CourseNotFound(NotFound):
    problem, title = "course-not-found", "Course not found"


class UnknownCourse(Conflict):
    problem, title = "unknown-course", "The referenced course does not exist"


class CourseArchived(Conflict):
    problem, title = "course-archived", "The course is archived"


class ExamNotFound(NotFound):
    problem, title = "exam-not-found", "Exam not found"


class UnknownExam(Conflict):
    problem, title = "unknown-exam", "The referenced exam does not exist"


class SkillListedTwice(Conflict):
    problem, title = "skill-listed-twice", "A course lists a skill twice"


class PrerequisiteCycle(Conflict):
    problem, title = "prerequisite-cycle", "Course prerequisites would form a cycle"
