# Everyday shortcuts; ./portal does the work (it also runs where make is not installed).
.PHONY: run test setup lint fmt shell migrate seed worker beat bench
run test setup lint fmt shell migrate seed worker beat bench:
	./portal $@
