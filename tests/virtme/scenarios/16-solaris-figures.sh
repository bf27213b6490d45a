#!/usr/bin/env bash
# The four figures of the Oracle Solaris 11.4 IPMP documentation and its
# FAILBACK=no example, played live (tests/virtme/solaris-story.sh, the
# same story as the main command): each `ipmpstat` table must have the
# document's rows, typed from it.
exec bash ../solaris-story.sh check
