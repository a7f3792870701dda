# exim-mailauth — everything lives in build/; see README for the targets.
include build/main.mk
