from shared.errors import Conflict, InvalidRequest, NotFound


class SimulationNotFound(NotFound):
    problem, title = "simulation-not-found", "No such rule simulation"


class InvalidSimulationWindow(InvalidRequest):
    problem, title = "invalid-simulation-window", "The simulation window is not usable"


class SimulationNotFinished(Conflict):
    problem, title = "simulation-not-finished", "Only a finished simulation can be applied"


class SimulationAlreadyApplied(Conflict):
    problem, title = "simulation-already-applied", "This simulation's difference was applied"
