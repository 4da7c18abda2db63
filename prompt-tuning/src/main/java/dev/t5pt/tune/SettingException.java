package dev.t5pt.tune;

/**
 * A bad value of one of a run's settings, named as the library names it: a {@link TrainConfig} component such as
 * {@code maxTargetLength}. A front end names it its own way (the command line: {@code --max-target-length}).
 */
public final class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String setting;
    private final String problem;

    public SettingException(String setting, String problem) {
        super(setting + ": " + problem);
        this.setting = setting;
        this.problem = problem;
    }

    /** The setting, as TrainConfig's component name. */
    public String setting() {
        return setting;
    }

    /** What is wrong with its value, without the setting's name. */
    public String problem() {
        return problem;
    }
}
