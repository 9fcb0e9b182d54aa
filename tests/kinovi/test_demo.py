from projects.kinovi import demo


def test_it_follows_a_video_from_waiting_to_success(fresh_kinovi_simulator, media_server, capsys):
    demo.make_reference(media_server.directory)
    sim = fresh_kinovi_simulator

    demo.follow_one_video(sim.base_url, sim.api_key, media_server.url)

    out = capsys.readouterr().out
    statuses = [line.split()[-1] for line in out.splitlines() if line.startswith("   ")]
    assert statuses == ["waiting", "generating", "success"]
    assert "Prompt as sent: '@image1 walks along the beach" in out
    assert f"Video: {sim.root_url}/outputs/task_" in out
    assert "Credits used: 200" in out
    assert len(media_server.wait_for_webhooks(1)) == 1
