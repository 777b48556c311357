"""One run of one scenario and what it leaves behind: the scenario contract, the catalogue,
the run spec, logs, trace files and the failure report. Built on ``emulator.engine`` only."""
