from tokensel.core.paths import repo_root, resolve


def test_root_is_the_nearest_folder_with_dvc_yaml_even_when_dvc_root_points_elsewhere(tmp_path, monkeypatch):
    project, other = tmp_path / "exp-copy", tmp_path / "original"
    for folder in (project, other):
        (folder / "notebooks").mkdir(parents=True)
        (folder / "dvc.yaml").write_text("stages: {}\n")
    monkeypatch.setenv("DVC_ROOT", str(other))  # what a queued experiment's stage sees
    monkeypatch.chdir(project / "notebooks")
    assert repo_root() == project.resolve()
    assert resolve("results/x.nc") == project.resolve() / "results" / "x.nc"
    assert resolve(tmp_path / "abs.nc") == tmp_path / "abs.nc"
