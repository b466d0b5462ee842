"""Upload a release folder to the Hugging Face Hub as a dataset repository (only when asked: --push-to-hub)."""

from __future__ import annotations

from pathlib import Path

from ablations.publish.release import ReleaseError


def push_to_hub(folder: Path, repo: str, private: bool = False, token: str | None = None) -> str:
    """Create the dataset repository ``repo`` if needed and upload ``folder`` (card, data, manifest) in one commit.
    Returns the commit URL. Fails with a ReleaseError that says why (offline, not logged in, network)."""
    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        raise ReleaseError(
            f"cannot push to the Hub dataset {repo!r}: HF_HUB_OFFLINE is set (unset it, and log in with "
            "`hf auth login` or set HF_TOKEN); the release is written locally"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo, repo_type="dataset", private=True if private else None, exist_ok=True)
        commit = api.upload_folder(
            folder_path=str(folder),
            repo_id=repo,
            repo_type="dataset",
            commit_message=f"FineBooks release {Path(folder).name}",
        )
    except Exception as e:  # network, authentication and permission errors all end the push the same way
        raise ReleaseError(
            f"push to the Hub dataset {repo!r} failed: {type(e).__name__}: {str(e)[:300]} (check the network and "
            "that you are logged in: `hf auth login` or HF_TOKEN); the release is written locally"
        ) from e
    return str(getattr(commit, "commit_url", commit))
