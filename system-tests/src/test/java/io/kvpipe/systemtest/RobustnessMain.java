package io.kvpipe.systemtest;

/**
 * {@code scripts/robustness.sh}: one robustness run from the command line ({@code --seconds N --seed S --nemesis
 * kill,pause,kafka,mysql,consumer,migration}); exit status 0 if every check passed, 1 if not, 2 on bad arguments.
 * The same seed replays the same fault schedule and workload choices.
 */
public final class RobustnessMain {
  private RobustnessMain() {}

  public static void main(String[] args) throws Exception {
    RobustnessRun.Options options;
    try {
      options = RobustnessRun.Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("robustness: " + e.getMessage());
      System.exit(2);
      return;
    }
    RobustnessRun.Verdict v = new RobustnessRun(options).run();
    System.exit(v.ok() ? 0 : 1);
  }
}
