"""Files: stored blobs, their rows and the profile-image checks."""
