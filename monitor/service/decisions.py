"""Decisions: append-only rows (a later one supersedes), taken only under the decider's live lease.

A confirm records its sanction, if any, and recomputes the room's risk tier.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.auth import Principal, require
from monitor.service.leases import CLAIMERS, lease_fence, refuse_lease
from monitor.service.models import DecisionIn, DecisionOut
from monitor.service.rooms import refresh_tier
from monitor.service.sanctions import impose, sanction_out
from monitor.service.webhooks.outbox import enqueue
from monitor.store.queue_schema import CaseRow, DecisionRow

__all__ = ["decide"]


def decide(session: Session, principal: Principal, case_id: int, decision: DecisionIn, now: datetime) -> DecisionOut:
    """Record ``decision`` and end the lease: confirm and dismiss close the case, escalate hands it to a lead.

    Queues a ``case.decided`` webhook (and ``case.sanctioned`` when the decision carries a sanction)
    in the same transaction.
    """
    require(principal, *CLAIMERS)
    escalate = decision.action == "escalate"
    status = "escalated" if escalate else "decided"
    values: dict[str, Any] = {"status": status, "lease_token": None, "lease_owner": None, "lease_expires": None,
                              "updated_at": now}
    if escalate:
        values["escalated"] = True
    case = session.scalars(
        update(CaseRow).where(lease_fence(principal, case_id, decision.lease_token, now)).values(**values)
        .returning(CaseRow).execution_options(synchronize_session=False, populate_existing=True)
    ).first()
    if case is None:
        raise refuse_lease(session, case_id)
    latest = select(func.max(DecisionRow.id)).where(DecisionRow.case_id == case_id).scalar_subquery()
    decision_id, previous = session.execute(
        insert(DecisionRow).values(case_id=case_id, action=decision.action, reason=decision.reason,
                                   policies=json.dumps(decision.policies, ensure_ascii=False),
                                   sanction=decision.sanction, decided_by=principal.name, decided_at=now,
                                   supersedes_id=latest)
        .returning(DecisionRow.id, DecisionRow.supersedes_id)
    ).one()
    sanction = impose(session, case, decision_id, decision, principal.name, now)
    event = {"case": case_id, "decision": decision_id, "stream": case.stream, "category": case.category,
             "risk": case.risk, "action": decision.action, "status": status, "policies": decision.policies,
             "sanction": decision.sanction, "supersedes": previous, "decided_at": now.isoformat()}
    enqueue(session, "case.decided", event, now)
    if sanction is not None:
        terms = {k: v for k, v in sanction_out(sanction, now).items() if k != "imposed_by"}
        enqueue(session, "case.sanctioned", {**event, "sanction": decision.sanction, "sanction_id": sanction.id,
                                             "terms": terms}, now)
    append_event(session, principal.name, "case.decided",
                 {"case": case_id, "decision": decision_id, "action": decision.action, "reason": decision.reason,
                  "policies": decision.policies, "sanction": decision.sanction, "supersedes": previous}, now)
    if decision.action == "confirm" or previous is not None:
        refresh_tier(session, case.stream, principal.name, now)
    return DecisionOut(id=decision_id, case=case_id, action=decision.action, status=status, supersedes=previous,
                       sanction=sanction.id if sanction else None)
