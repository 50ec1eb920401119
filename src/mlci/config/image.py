"""The `image` section of params.yaml: where the serving image goes, how big it may be, serving limits."""

from __future__ import annotations

from pydantic import Field, model_validator

from mlci.config.base import Section


class ServeParams(Section):
    """Request limits and micro-batching of `mlci serve`; copied into the image through artifacts/params.json."""

    max_body_bytes: int = Field(default=2_000_000, gt=0, description="larger request bodies get 413")
    max_batch: int = Field(default=1000, gt=0, description="more records in one request get 413")
    max_batch_rows: int = Field(
        default=128, gt=0, description="concurrent requests are scored together up to this many rows"
    )
    max_wait_ms: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description="longest a request waits for others to join its batch; 0 scores each request alone",
    )
    max_queue_rows: int = Field(
        default=2000, gt=0, description="rows waiting to be scored; a request that does not fit gets 503"
    )

    @model_validator(mode="after")
    def _queue_holds_a_full_request(self) -> ServeParams:
        if self.max_queue_rows < self.max_batch:
            raise ValueError(
                f"max_queue_rows ({self.max_queue_rows}) is below max_batch ({self.max_batch}): "
                "a request of max_batch records could never be queued"
            )
        return self


class SmokeParams(Section):
    ready_timeout_seconds: float = Field(
        default=30.0, gt=0, description="how long the container may take to answer /ready"
    )
    port: int = Field(default=8765, gt=0, lt=65536, description="127.0.0.1 port the smoke container listens on")


class ImageParams(Section):
    """Serving image: name, size budget, limits, smoke test."""

    name: str = Field(default="mlci-model", pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$", description="local image name")
    registry: str = Field(
        default="ghcr.io/OWNER/mlci-model",
        description="repository pushed to and promoted in (host[:port]/path); CI sets it with --repository",
    )
    max_size_mb: float = Field(default=400.0, gt=0, description="uncompressed image size budget (smoke fails above)")
    serve: ServeParams = Field(default_factory=ServeParams)
    smoke: SmokeParams = Field(default_factory=SmokeParams)
