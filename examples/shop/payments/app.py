"""Payments: charges an amount for an order and remembers the payment (in memory).

Run with `python -m payments.app` from `examples/shop` (env: PORT).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from shoplib import error_responses, run, service_app, setup_tracing

SERVICE = "payments"


class PaymentRequest(BaseModel):
    amount: int = Field(gt=0, description="Amount in integer cents.")
    currency: str = Field(pattern="^[A-Z]{3}$", examples=["EUR"])
    order_id: str = Field(min_length=1)


class Payment(BaseModel):
    id: str
    status: str = Field(examples=["captured"])
    amount: int
    currency: str
    order_id: str


def create_app() -> FastAPI:
    tracing = setup_tracing(SERVICE)
    payments: dict[str, Payment] = {}
    lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        tracing.shutdown()

    app = service_app(tracing, lifespan)

    @app.post("/payments", status_code=201)
    def create_payment(body: PaymentRequest) -> Payment:
        payment = Payment(id=uuid.uuid4().hex, status="captured", **body.model_dump())
        with lock:
            payments[payment.id] = payment
        return payment

    @app.get("/payments/{payment_id}", responses=error_responses({404: "No such payment"}))
    def get_payment(payment_id: str) -> Payment:
        with lock:
            payment = payments.get(payment_id)
        if payment is None:
            raise HTTPException(404, f"payment {payment_id} not found")
        return payment

    return app


def main() -> None:
    run(create_app, default_port=8002)


if __name__ == "__main__":
    main()
