"""Tenant isolation against the sandbox, property-based: no response crosses tenants."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asperion_orm import Client, Session
from asperion_orm.exceptions import TenantMismatchError

from .conftest import RecordingTokenStore, SecretRegistry

READ_PARAMS = (
    [("orderby", "-id"), ("pageSize", "5")],
    [("orderby", "-id"), ("pageSize", "5"), ("page", "1")],
    [("pageSize", "100")],
)
operations = st.lists(
    st.tuples(
        st.sampled_from(["read", "write", "read_one"]),
        st.integers(0, 1),
        st.integers(0, len(READ_PARAMS) - 1),
    ),
    min_size=1,
    max_size=12,
)


class World:
    """A client, two tenants and what each tenant should and should never show."""

    def __init__(self, client: Client, tenants: list[int], registry: SecretRegistry) -> None:
        self.client = client
        self.registry = registry
        self.tenants = tenants
        self.created: dict[int, list[tuple[int, str]]] = {t: [] for t in tenants}
        self.serial = 0

    def write(self, tenant: int) -> None:
        """Create a debtor whose name says which tenant it belongs to."""
        self.serial += 1
        name = f"T{tenant}-{self.serial}"
        row = self.client.tenant(tenant).post("debtors", {"name": name})
        assert row["_meta"]["administrationId"] == tenant
        self.created[tenant].append((row["id"], name))

    def read(self, tenant: int, variant: int) -> None:
        """List debtors; nothing from the other tenant, and our newest write first."""
        data = self.client.tenant(tenant).get("debtors", READ_PARAMS[variant])
        assert data["_meta"]["administrationId"] == tenant
        names = [row["name"] for row in data["_data"]]
        self._never_foreign(tenant, names)
        if self.created[tenant] and variant < 2:
            assert names[0] == self.created[tenant][-1][1]  # a write evicted the old page

    def read_one(self, tenant: int) -> None:
        """Read our newest record by id."""
        if not self.created[tenant]:
            return
        ident, name = self.created[tenant][-1]
        row = self.client.tenant(tenant).get(Session.path("debtors", ident))
        assert row["_meta"]["administrationId"] == tenant and row["name"] == name

    def _never_foreign(self, tenant: int, names: list[str]) -> None:
        for other in self.tenants:
            if other != tenant:
                foreign = {n for _, n in self.created[other]}
                assert not foreign.intersection(names)


@pytest.fixture(scope="module")
def world(asperion_sandbox: Any) -> Iterator[World]:
    """Two fresh tenants and one cached client for every generated example."""
    tenants = [asperion_sandbox.add_administration(records={"debtors": 3}) for _ in range(2)]
    registry = SecretRegistry()
    client = asperion_sandbox.client(token_store=RecordingTokenStore(registry))
    with client:
        yield World(client, tenants, registry)
        registry.add_token(client.token_store.load())


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_interleaved_reads_and_writes_never_cross_tenants(
    world: World, steps: list[tuple[str, int, int]], secrets_seen: SecretRegistry
) -> None:
    secrets_seen.add(*world.registry.values)
    for action, which, variant in steps:
        tenant = world.tenants[which]
        if action == "write":
            world.write(tenant)
        elif action == "read":
            world.read(tenant, variant)
        else:
            world.read_one(tenant)


def test_threads_sharing_one_cached_client_never_cross_tenants(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client]
) -> None:
    client = sandbox_client(max_concurrency=8)
    tenants = [asperion_sandbox.add_administration(records={"debtors": 3}) for _ in range(2)]
    errors: list[str] = []

    def work(worker: int) -> None:
        for step in range(20):
            tenant = tenants[(worker + step) % 2]
            session = client.tenant(tenant)
            try:
                if step % 4 == 0:
                    session.post("debtors", {"name": f"T{tenant}-w{worker}-{step}"})
                data = session.get("debtors", [("orderby", "-id"), ("pageSize", "10")])
                names = {row["name"] for row in data["_data"]}
                other = tenants[1 - tenants.index(tenant)]
                if data["_meta"]["administrationId"] != tenant or any(
                    n.startswith(f"T{other}-") for n in names
                ):
                    errors.append(f"tenant {tenant} saw foreign data")
            except Exception as exc:
                errors.append(type(exc).__name__)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_a_server_ignoring_the_tenant_header_is_caught_and_nothing_is_cached(
    asperion_sandbox: Any, asperion_tenant: int, sandbox_client: Callable[..., Client]
) -> None:
    client = sandbox_client()
    session = client.tenant(asperion_tenant)
    asperion_sandbox.state.ignore_tenant_header = True
    for _ in range(3):
        with pytest.raises(TenantMismatchError) as info:
            session.get("debtors")
        assert info.value.actual == asperion_sandbox.tenants[0]
    with pytest.raises(TenantMismatchError):
        session.post("debtors", {"name": "Lost in the default administration"})
    asperion_sandbox.state.ignore_tenant_header = False
    asperion_sandbox.clear_log()
    assert session.get("debtors")["_meta"]["administrationId"] == asperion_tenant
    assert (
        len(asperion_sandbox.requests(path="/v1/debtors")) == 1
    )  # the refused pages were not cached


def test_every_request_names_its_tenant(
    asperion_sandbox: Any, asperion_tenant: int, sandbox_client: Callable[..., Client],
    secrets_seen: SecretRegistry,
) -> None:  # fmt: skip
    client = sandbox_client()
    session = client.tenant(asperion_tenant)
    session.get("debtors")
    created = session.post("debtors", {"name": "Tenant check"})
    session.patch(Session.path("debtors", created["id"]), {"name": "Tenant check 2"})
    session.delete(Session.path("debtors", created["id"]))
    assert {e.tenant for e in asperion_sandbox.requests(path="/v1/*")} == {asperion_tenant}
