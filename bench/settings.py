"""The product's settings plus the benchmark's hello-world URL (never used by the product)."""

from xietong.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
