"""The console's rooms page (``/console/rooms``): the rooms ``watch --from`` workers watch, who holds each and
when it last sent a heartbeat, the workers; leads and admins add and remove rooms there.

Adding and removing go through the same functions as the API (:mod:`monitor.service.watched_rooms`), so the
same address policy, roles and audit events hold; a refusal is a Chinese message on the page.
"""

# No "from __future__ import annotations": FastAPI reads the routes' annotations.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.service.db import Clock
from monitor.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from monitor.service.watched_rooms import (
    ROOM_EDITORS,
    UnknownVertical,
    add_room,
    list_rooms,
    list_workers,
    remove_room,
)
from monitor.sources.policy import SourcePolicy
from monitor.store import Store

__all__ = ["ROOM_STATE_ZH", "add_room_pages"]

ROOM_STATE_ZH: dict[str, str] = {
    "waiting": "等待分配", "starting": "启动中", "watching": "监看中", "reconnecting": "重连中", "ended": "直播已结束",
    "failed": "失败", "stopped": "已停止", "refused": "地址被拒绝", "removed": "已移除",
}
_NOTICES = {"added": "已添加直播间，空闲的监看节点将在下一次心跳时领取。Room added.",
            "removed": "已移除直播间，其监看节点将在下一次心跳时停止。Room removed."}


def _refusal(error: ServiceError) -> str:
    if isinstance(error, UnknownVertical):
        return f"行业未通过检查，未添加。The vertical was refused: {error}"
    if isinstance(error, Invalid):
        return f"地址未通过检查，未添加。The address was refused: {error}"
    if isinstance(error, Conflict):
        return f"未做任何更改：{error}。Nothing was changed."
    if isinstance(error, NotFound):
        return "没有这个直播间。No such room."
    if isinstance(error, Forbidden):
        return "只有组长和管理员可以添加或移除直播间。Only leads and admins may add or remove rooms."
    return "请求未被接受，未做任何更改。The request was refused; nothing was changed."


def _ago(now: datetime) -> Callable[[str | None], str]:
    def ago(value: str | None) -> str:
        if value is None:
            return ""
        seconds = int((now - datetime.fromisoformat(value)).total_seconds())
        return f"{seconds} 秒前" if seconds >= 0 else f"{-seconds} 秒后"
    return ago


def add_room_pages(router: APIRouter, store: Store, clock: Clock, policy: SourcePolicy, page_viewer: Any,
                   form_viewer: Any, render: Callable[..., HTMLResponse], base: Callable[..., dict[str, Any]]) -> None:
    """Add ``/console/rooms`` and its forms to the console's ``router``."""
    PageViewer = Annotated[Any, Depends(page_viewer)]
    FormViewer = Annotated[Any, Depends(form_viewer)]

    def rooms_page(viewer: Any, status: int = 200, notice: str | None = None, error: str | None = None,
                   form: dict[str, str] | None = None, removed: bool = False) -> HTMLResponse:
        now = clock()
        with store.reading() as s:
            rooms, total = list_rooms(s, now, removed=removed)
            workers = list_workers(s, now)
        return render("rooms.html.j2", status, **base(
            viewer, rooms=rooms, total=total, workers=workers, removed=removed, notice=notice, error=error,
            form=form or {"address": "", "label": "", "vertical": ""}, editor=viewer.principal.role in ROOM_EDITORS,
            state_zh=ROOM_STATE_ZH, ago=_ago(now), protocols=policy.protocols, hosts=policy.hosts))

    @router.get("/rooms")
    def show_rooms(viewer: PageViewer, notice: str = "", removed: bool = False) -> Response:
        return rooms_page(viewer, notice=_NOTICES.get(notice), removed=removed)

    @router.post("/rooms")
    def post_room(viewer: FormViewer, address: Annotated[str, Form()] = "",
                  label: Annotated[str, Form()] = "", vertical: Annotated[str, Form()] = "") -> Response:
        form = {"address": address[:2000], "label": label[:200], "vertical": vertical[:40]}
        if len(address) > 2000 or len(label) > 200 or len(vertical) > 40:
            return rooms_page(viewer, 422, error="地址最长 2000 字，名称最长 200 字，行业最长 40 字。"
                              "Address, name or vertical too long.", form=form)
        try:
            with store.session() as s:
                add_room(s, viewer.principal, address, label, policy, clock(), vertical=vertical)
        except ServiceError as e:
            return rooms_page(viewer, e.status, error=_refusal(e), form=form)
        return RedirectResponse("/console/rooms?notice=added", status_code=303)

    @router.post("/rooms/{room_id}/remove")
    def post_remove(viewer: FormViewer, room_id: int) -> Response:
        try:
            with store.session() as s:
                remove_room(s, viewer.principal, room_id, clock())
        except ServiceError as e:
            return rooms_page(viewer, e.status, error=_refusal(e))
        return RedirectResponse("/console/rooms?notice=removed", status_code=303)
