// Entry point for the fuzz executable: SwiftPM links executables with
// main = <Module>_main, so this hands control to libFuzzer's driver.
int KexecFuzz_main(int argc, char **argv);
