"""Personal recommendations (推荐课程), the ranker's weights, and the colleague model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response, status

from services.training_api.courses.endpoints import CodePath
from services.training_api.recommendations import model, schemas
from services.training_api.recommendations import repository as repo
from services.training_api.recommendations.errors import EmployeeNotVisible, NotRecommendable
from services.training_api.recommendations.service import (
    current_settings,
    model_status,
    recommendations,
)
from shared.auth import CurrentUser, HRAdmin
from shared.db import DBSession
from shared.errors import problems
from shared.identity import EmployeeNoPath
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["recommendations"])
RecLimit = Annotated[int, Query(ge=1, le=50, description="How many courses (1-50)")]
HomeLimit = Annotated[int, Query(ge=1, le=10, description="How many recommended courses "
                                                          "(1-10)")]


@router.get("/employees/{employee_no}/recommendations", response_model=schemas.Recommendations,
            operation_id="get_recommendations", summary="An employee's recommended courses",
            responses=problems(EmployeeNotVisible))
async def get_recommendations(employee_no: EmployeeNoPath, session: DBSession,
                              principal: CurrentUser, request: Request,
                              limit: RecLimit = 5) -> schemas.Recommendations:
    """The courses the employee has not completed and may take (open to their role,
    of a format their role attends, prerequisites met, not archived, not dismissed),
    best first, each with its score, factors and reasons in Chinese. A ranked
    selection of at most ``limit`` (1-50), not a paginated collection. Readable by
    the employee themself, managers of their department and HR; others get 404."""
    today = datetime.now(request.app.state.settings.tz).date()
    return await recommendations.for_employee(session, employee_no, principal=principal,
                                              limit=limit, today=today)


@router.get("/employees/{employee_no}/home", response_model=schemas.Home,
            operation_id="get_employee_home", summary="The employee's home screen (mobile)",
            responses=problems(EmployeeNotVisible))
async def get_employee_home(employee_no: EmployeeNoPath, session: DBSession,
                            principal: CurrentUser, request: Request,
                            limit: HomeLimit = 3) -> schemas.Home:
    """One call for what the app's home screen shows from training's side: the top
    ``limit`` (1-10) recommended courses with their reasons (推荐课程; counted as shown
    when the employee reads them), the courses of training plans that apply and are
    not completed, soonest due first, the five latest training records, and the
    paths of the points account (我的积分) and the reward catalogue (积分兑换商城) to
    call next. Readable by the employee themself, managers of their department and
    HR; others get 404."""
    settings = request.app.state.settings
    return await recommendations.home(session, employee_no, principal=principal, limit=limit,
                                      today=datetime.now(settings.tz).date(),
                                      tz=str(settings.tz))


@router.post("/employees/{employee_no}/recommendations/{code}/dismiss",
             response_model=schemas.Dismissal, operation_id="dismiss_recommendation",
             summary="Dismiss a recommended course (不感兴趣)",
             responses=problems(EmployeeNotVisible, NotRecommendable))
async def dismiss_recommendation(employee_no: EmployeeNoPath, code: CodePath,
                                 session: DBSession, principal: CurrentUser
                                 ) -> schemas.Dismissal:
    """The employee themself says 不感兴趣: the course is not recommended to them again
    until they undo it. Anyone else gets 404; an unknown or archived course 404."""
    return await recommendations.dismiss(session, employee_no, code, principal=principal,
                                         dismissed=True)


@router.post("/employees/{employee_no}/recommendations/{code}/undismiss",
             response_model=schemas.Dismissal, operation_id="undismiss_recommendation",
             summary="Take back a dismissal",
             responses=problems(EmployeeNotVisible, NotRecommendable))
async def undismiss_recommendation(employee_no: EmployeeNoPath, code: CodePath,
                                   session: DBSession, principal: CurrentUser
                                   ) -> schemas.Dismissal:
    """The course may be recommended again. Only the employee themself."""
    return await recommendations.dismiss(session, employee_no, code, principal=principal,
                                         dismissed=False)


@router.get("/recommendation-settings", response_model=schemas.RecommendationSettings,
            operation_id="get_recommendation_settings", summary="The ranker's weights")
async def get_recommendation_settings(session: DBSession,
                                      _: HRAdmin) -> schemas.RecommendationSettings:
    """The weights of the five factors (and the demand hook), the diversity, and the
    window in which a shown recommendation that is completed counts as taken. HR."""
    return await current_settings(session)


@router.put("/recommendation-settings", response_model=schemas.RecommendationSettings,
            operation_id="put_recommendation_settings", summary="Change the ranker's weights")
async def put_recommendation_settings(body: schemas.RecommendationSettingsUpdate,
                                      session: DBSession,
                                      principal: HRAdmin) -> schemas.RecommendationSettings:
    """Replace the settings (omitted fields take their defaults); the next request
    ranks with them. HR only."""
    await repo.save_settings(session, body.model_dump(), principal.sub)
    await session.flush()
    return await current_settings(session)


@router.get("/recommendation-model", response_model=schemas.ModelStatus,
            operation_id="get_recommendation_model", summary="How fresh the colleague model is")
async def get_recommendation_model(session: DBSession, request: Request,
                                   _: HRAdmin) -> schemas.ModelStatus:
    """The latest build of the colleague signals (what colleagues in each role took,
    courses completed together): running with its progress, ready, or failed with the
    error; when the signals in use were built; and the schedule. HR."""
    return await model_status(session, request.app.state.settings
                              .recommendation_refresh_seconds)


@router.post("/recommendation-model/refresh", response_model=schemas.ModelStatus,
             status_code=status.HTTP_202_ACCEPTED, operation_id="refresh_recommendation_model",
             summary="Rebuild the colleague model now")
async def refresh_recommendation_model(request: Request, response: Response, session: DBSession,
                                       _: HRAdmin) -> schemas.ModelStatus:
    """Starts a build (committed as running before this answers) and finishes it in the
    background; when a build is running already on any replica, none is started and
    the answer is that build's status. 202 with ``Location`` of the status to poll."""
    await model.start(request.app)
    response.headers["Location"] = "/training/v1/recommendation-model"
    return await model_status(session, request.app.state.settings
                              .recommendation_refresh_seconds)
