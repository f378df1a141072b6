"""The address the connection files give when the controller listens on every interface."""

import pytest

from ipcluster.protocol import _addresses, guess_location


def test_a_given_address_is_the_location():
    """--ip=ADDRESS without --location: the files name that address."""
    assert "10.1.2.3" == guess_location("10.1.2.3")


@pytest.mark.parametrize(("route", "interfaces", "location"), [
    ("10.0.0.5", ["127.0.0.1", "10.9.9.9"], "10.0.0.5"),  # the route out first
    (None, ["127.0.0.1", "10.9.9.9", "10.8.8.8"], "10.9.9.9"),  # no route out: the first interface's
    (None, ["127.0.0.1"], "127.0.0.1"),  # loopback alone
])
def test_every_interface_means_a_routable_location(monkeypatch, route, interfaces, location):
    """--ip=*: the source address of the route out, else the first non-loopback interface's, else loopback."""
    monkeypatch.setattr(_addresses, "_route_source", lambda: route)
    monkeypatch.setattr(_addresses, "_interface_addresses", lambda: interfaces)
    assert location == guess_location("*")


def test_this_hosts_interfaces_include_loopback():
    """The interface listing finds addresses at all (here: at least 127.0.0.1)."""
    assert "127.0.0.1" in _addresses._interface_addresses()
