"""Benchmark of the reference ExecutionEngineFactory (a script, not a test).

Run with ``python benchmarks/reference_factory.py``. Prints:

* create+cleanup throughput (sequential cycles);
* p50/p99 latency of one ``create_for_user`` call with 1 and with 1,000
  concurrent users (each caller times its own call);
* memory per live engine (tracemalloc);
* factory overhead: ``create_for_user`` vs constructing the same emitter,
  registry and engine directly (median of several repeats).

Goals: overhead <= 2x direct construction; p99 latency grows <= 3x from 1 to
1,000 concurrent users.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ssot_lint.reference import (
    AgentExecutionRegistry,
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    UserExecutionEngine,
    UserWebSocketEmitter,
)

CYCLES = 20_000
LATENCY_ROUNDS = 10
CONCURRENT_USERS = 1_000
MEMORY_ENGINES = 2_000
OVERHEAD_BATCH = 5_000
REPEATS = 7


def _contexts(count: int, prefix: str = "user") -> list[UserExecutionContext]:
    return [UserExecutionContext.create(f"{prefix}-{i}") for i in range(count)]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def throughput() -> float:
    """Sequential create+cleanup cycles per second."""
    factory = ExecutionEngineFactory(InMemoryTransport())
    contexts = _contexts(100)
    started = time.perf_counter()
    for i in range(CYCLES):
        engine = await factory.create_for_user(contexts[i % len(contexts)])
        await factory.cleanup_engine(engine)
    return CYCLES / (time.perf_counter() - started)


async def _timed_create(factory: ExecutionEngineFactory, context: UserExecutionContext) -> float:
    started = time.perf_counter()
    await factory.create_for_user(context)
    return time.perf_counter() - started


async def latency(users: int) -> tuple[float, float, float]:
    """(p50, p99, batch wall time) of create_for_user with ``users`` concurrent callers."""
    factory = ExecutionEngineFactory(InMemoryTransport())
    samples: list[float] = []
    batches: list[float] = []
    rounds = LATENCY_ROUNDS if users > 1 else LATENCY_ROUNDS * CONCURRENT_USERS
    for _ in range(rounds):
        contexts = _contexts(users)
        started = time.perf_counter()
        samples.extend(await asyncio.gather(*(_timed_create(factory, ctx) for ctx in contexts)))
        batches.append(time.perf_counter() - started)
        for ctx in contexts:
            await factory.cleanup_user(ctx.user_id)
    return _percentile(samples, 0.50), _percentile(samples, 0.99), statistics.median(batches)


async def memory_per_engine() -> float:
    """Bytes allocated per live engine (its emitter, registry, semaphore and factory bookkeeping)."""
    factory = ExecutionEngineFactory(InMemoryTransport())
    contexts = _contexts(MEMORY_ENGINES)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    engines = [await factory.create_for_user(ctx) for ctx in contexts]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    allocated = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(engines) == MEMORY_ENGINES
    return allocated / MEMORY_ENGINES


async def overhead() -> tuple[float, float, float]:
    """(median factory seconds, median direct seconds, ratio) per batch of creations."""
    factory_times: list[float] = []
    direct_times: list[float] = []
    for _ in range(REPEATS):
        contexts = _contexts(OVERHEAD_BATCH)
        factory = ExecutionEngineFactory(InMemoryTransport())
        gc.collect()
        started = time.perf_counter()
        for ctx in contexts:
            await factory.create_for_user(ctx)
        factory_times.append(time.perf_counter() - started)

        transport = InMemoryTransport()
        direct: list[UserExecutionEngine] = []
        gc.collect()
        started = time.perf_counter()
        for ctx in contexts:
            # Deliberate direct construction: the baseline the factory is measured against.
            direct.append(
                UserExecutionEngine(
                    ctx,
                    UserWebSocketEmitter(ctx, transport),
                    AgentExecutionRegistry(ctx.user_id, history=100, clock=time.monotonic),
                    max_concurrent_agents=4,
                    run_timeout=120.0,
                    clock=time.monotonic,
                )
            )
        direct_times.append(time.perf_counter() - started)
        await factory.shutdown()
    factory_median = statistics.median(factory_times)
    direct_median = statistics.median(direct_times)
    return factory_median, direct_median, factory_median / direct_median


async def main() -> None:
    print(f"python {sys.version.split()[0]}")
    rate = await throughput()
    print(f"create+cleanup throughput: {rate:,.0f} cycles/s ({CYCLES:,} sequential cycles)")

    p50_one, p99_one, _ = await latency(1)
    p50_many, p99_many, batch = await latency(CONCURRENT_USERS)
    print(f"creation latency, 1 user:      p50 {p50_one * 1e6:6.1f} us  p99 {p99_one * 1e6:6.1f} us")
    print(
        f"creation latency, {CONCURRENT_USERS:,} users:  p50 {p50_many * 1e6:6.1f} us  p99 {p99_many * 1e6:6.1f} us"
        f"  (all {CONCURRENT_USERS:,} served in {batch * 1e3:.1f} ms)"
    )
    growth = p99_many / p99_one
    print(f"p99 growth 1 -> {CONCURRENT_USERS:,} users: {growth:.2f}x (goal <= 3x) {'OK' if growth <= 3 else 'MISSED'}")

    per_engine = await memory_per_engine()
    print(f"memory per live engine: {per_engine:,.0f} bytes ({MEMORY_ENGINES:,} engines, tracemalloc)")

    factory_s, direct_s, ratio = await overhead()
    print(
        f"factory overhead: {factory_s / OVERHEAD_BATCH * 1e6:.2f} us vs direct {direct_s / OVERHEAD_BATCH * 1e6:.2f} us"
        f" per engine = {ratio:.2f}x (median of {REPEATS}; goal <= 2x) {'OK' if ratio <= 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
