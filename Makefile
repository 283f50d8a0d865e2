# Everyday shortcuts; ./portal does the work (it also runs where make is not installed).
.PHONY: run test setup lint fmt shell migrate seed worker beat bench
run test setup lint fmt shell migrate seed worker beat bench:
	./portal $@

# make backup [FILE=path]; make restore FILE=path [FORCE=1] (see README, Backups)
.PHONY: backup restore
backup:
	./portal backup $(FILE)
restore:
	./portal restore $(FILE) $(if $(FORCE),--force)
