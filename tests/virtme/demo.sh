#!/usr/bin/env bash
# The demo played in the VM by scripts/demo.sh: the story of the Oracle Solaris 11.4 IPMP documentation
# with in.mpathd and ipmpstat (see solaris-story.sh), with the original's
# default failure detection time of 10 s.
exec bash "$(dirname "${BASH_SOURCE[0]}")/solaris-story.sh" demo
