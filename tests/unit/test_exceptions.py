import pytest

from asperion_orm import exceptions as exc


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, exc.BadRequest),
        (401, exc.AuthenticationError),
        (403, exc.PermissionDenied),
        (404, exc.NotFound),
        (405, exc.MethodNotAllowed),
        (429, exc.RateLimited),
        (500, exc.ServerError),
        (503, exc.ServerError),
        (418, exc.APIError),
    ],
)
def test_every_status_maps_to_one_error_class(status: int, expected: type) -> None:
    assert exc.error_for_status(status) is expected


def test_every_error_descends_from_asperion_error_and_shadows_no_builtin() -> None:
    import builtins

    for name in exc.__all__:
        value = getattr(exc, name)
        if isinstance(value, type):
            assert issubclass(value, exc.AsperionError)
            assert not hasattr(builtins, name)


def test_validation_error_lists_fields_in_its_message() -> None:
    error = exc.ValidationError({"name": ["is required"], "email": ["is not valid"]})
    assert str(error) == "email: is not valid; name: is required"
    assert error.errors == {"name": ["is required"], "email": ["is not valid"]}


def test_tenant_mismatch_says_what_to_check() -> None:
    error = exc.TenantMismatchError(2, 1)
    assert "tenant header" in str(error)
    assert (error.expected, error.actual) == (2, 1)
