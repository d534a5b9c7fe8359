"""Shared test setup: quiet TensorFlow, the smoke profile, no network."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("COURSE_PROFILE", "smoke")
