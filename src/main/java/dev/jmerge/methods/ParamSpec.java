package dev.jmerge.methods;

/**
 * One parameter a method reads. {@code defaultValue} is null when there is no default: then the parameter is
 * either {@code required} (a config error when no level of the config sets it) or simply absent.
 * Booleans are numbers as in mergekit: true = 1.0, false = 0.0.
 */
public record ParamSpec(String name, Double defaultValue, boolean required, boolean isFlag, String help) {

    public static ParamSpec required(String name, String help) {
        return new ParamSpec(name, null, true, false, help);
    }

    public static ParamSpec withDefault(String name, double defaultValue, String help) {
        return new ParamSpec(name, defaultValue, false, false, help);
    }

    public static ParamSpec flag(String name, boolean defaultValue, String help) {
        return new ParamSpec(name, defaultValue ? 1.0 : 0.0, false, true, help);
    }

    /** Optional with no default: {@link Params#has} tells whether it was set. */
    public static ParamSpec optional(String name, String help) {
        return new ParamSpec(name, null, false, false, help);
    }

    /** How --help and the README show the default: {@code normalize=true}, {@code density=1.0}, {@code t (required)}. */
    public String describe() {
        if (required) return name + " (required)";
        if (defaultValue == null) return name;
        if (isFlag) return name + "=" + (defaultValue != 0);
        double d = defaultValue;
        return name + "=" + (d == Math.rint(d) && Math.abs(d) < 1e6 ? String.valueOf((long) d) : String.valueOf(d));
    }
}
