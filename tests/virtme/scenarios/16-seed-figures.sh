#!/usr/bin/env bash
# The seed document's four figures and its FAILBACK=no example, played
# live (tests/virtme/seed-story.sh, the same story as the main command):
# each `ipmpstat` table must have the seed's rows, typed from the seed.
exec bash ../seed-story.sh check
