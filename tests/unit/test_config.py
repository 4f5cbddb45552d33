from nnplay.config import ServerSettings


def test_trusted_hosts_are_loopback_the_bound_host_and_the_allowed_ones():
    hosts = ServerSettings(host="nnplay.lan", allowed_hosts=("class.example",)).trusted_hosts()
    assert hosts == ["localhost", "127.0.0.1", "::1", "[::1]", "class.example", "nnplay.lan"]


def test_a_wildcard_bind_implies_no_other_name_and_ipv6_hosts_are_bracketed():
    assert ServerSettings(host="0.0.0.0").trusted_hosts()[-1] == "0.0.0.0"
    assert ServerSettings(host="::").trusted_hosts()[-1] == "[::]"
    assert ServerSettings(host="fe80::1").trusted_hosts()[-1] == "[fe80::1]"
    assert len(ServerSettings(host="127.0.0.1").trusted_hosts()) == 4


def test_allowed_hosts_come_from_the_environment_as_a_json_list(monkeypatch):
    monkeypatch.setenv("NNPLAY_ALLOWED_HOSTS", '["a.example", "b.example"]')
    assert ServerSettings().allowed_hosts == ("a.example", "b.example")
    assert "b.example" in ServerSettings().trusted_hosts()
