from shared.errors import Conflict, NotFound


class SimulationNotFound(NotFound):
    problem, title = "simulation-not-found", "No such rule simulation"


class InvalidSimulationWindow(Conflict):
    """A window the schema admits but the replay cannot take: reversed or too long."""

    problem, title = "invalid-simulation-window", "The simulation window is not usable"


class SimulationNotFinished(Conflict):
    problem, title = "simulation-not-finished", "Only a finished simulation can be applied"


class SimulationAlreadyApplied(Conflict):
    problem, title = "simulation-already-applied", "This simulation's difference was applied"


class SimulationIncomplete(Conflict):
    problem, title = "simulation-incomplete", "The simulation could not read every event"


class SimulationOverlapsApplied(Conflict):
    problem, title = "simulation-overlaps-applied", \
        "A difference for an overlapping window was already applied"
