"""Settings and construction are checked up front, naming what is wrong."""

from __future__ import annotations

import httpx
import pytest

from allegro_plenty import ConfigurationError, ImportSettings
from allegro_plenty.importer.settings import longest_attempt

from .importer_support import World


def test_the_lease_must_outlast_three_write_attempts() -> None:
    world = World()
    quick = {"timeout": httpx.Timeout(5.0)}  # 4 × 5 s: one attempt takes at most 20 s
    with world.importer(settings=ImportSettings(lease=60), plenty_options=quick):
        pass
    with (
        pytest.raises(ConfigurationError, match=r"lease of 59 s .* \(20 s by its timeouts\)"),
        world.importer(settings=ImportSettings(lease=59), plenty_options=quick),
    ):
        pass  # pragma: no cover


def test_the_default_lease_fits_the_default_timeouts() -> None:
    from allegro_plenty import DEFAULT_TIMEOUT

    attempt = longest_attempt(DEFAULT_TIMEOUT)
    assert attempt is not None
    assert ImportSettings().lease >= 3 * attempt


def test_a_write_without_a_time_limit_cannot_be_leased() -> None:
    unbounded = {"timeout": httpx.Timeout(None)}
    with (
        pytest.raises(ConfigurationError, match="without a limit"),
        World().importer(plenty_options=unbounded),
    ):
        pass  # pragma: no cover


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"sweep_interval": 0}, "sweep_interval"),
        ({"sweep_lag": -1}, "sweep_lag"),
        ({"lease": float("nan")}, "lease"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"retry_base": 600, "retry_max": 60}, "retry_max"),
        ({"external_id_format": "allegro"}, "external_id_format"),
        ({"external_id_format": "{form_id}-{x}"}, "external_id_format"),
        ({"legacy_external_id_formats": ["old-{id}"]}, "legacy_external_id_formats"),
        ({"adopt_referrer_ids": "4.11"}, "adopt_referrer_ids"),
        ({"total_tolerance": "-1"}, "total_tolerance"),
        ({"event_page_size": 5000}, "event_page_size"),
        ({"referrer_name": " "}, "referrer_name"),
        ({"variation_lookup": "number"}, "variation_lookup"),
    ],
)
def test_bad_settings_are_configuration_errors_naming_the_setting(
    options: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        ImportSettings(**options)  # type: ignore[arg-type]


def test_external_ids_put_the_written_format_first() -> None:
    settings = ImportSettings(
        external_id_format="{form_id}", legacy_external_id_formats=["allegro-{form_id}"]
    )
    assert settings.external_ids("abc") == ("abc", "allegro-abc")


def test_retries_back_off_exponentially_up_to_the_cap() -> None:
    settings = ImportSettings(retry_base=60, retry_max=300)
    assert [settings.retry_in(n) for n in range(1, 6)] == [60, 120, 240, 300, 300]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_orders": 0}, "max_orders"),
        ({"deadline": -1}, "deadline"),
        ({"account": "nobody"}, "no account 'nobody'"),
    ],
)
def test_a_run_with_bad_bounds_is_refused(options: dict[str, object], named: str) -> None:
    world = World()
    with world.importer() as importer, pytest.raises(ConfigurationError, match=named):
        importer.run(**options)


def test_accounts_must_be_unique_pairs() -> None:
    world = World()
    account = world.account()
    with (
        pytest.raises(ConfigurationError, match="listed more than once"),
        world.importer(accounts=[account, account]),
    ):
        pass  # pragma: no cover
