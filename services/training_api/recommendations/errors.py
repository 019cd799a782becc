from shared.errors import NotFound


class EmployeeNotVisible(NotFound):
    problem, title = "employee-not-found", "Employee not found"


class NotRecommendable(NotFound):
    problem, title = "course-not-found", "Course not found"
