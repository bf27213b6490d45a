#!/usr/bin/env bash
# The demo played in the VM by scripts/demo.sh: the seed document's story
# with in.mpathd and ipmpstat (see seed-story.sh), with the original's
# default failure detection time of 10 s.
exec bash "$(dirname "${BASH_SOURCE[0]}")/seed-story.sh" demo
