package dev.jmerge.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of the safetensors format. {@link #safetensorsName()} is the header spelling,
 * {@link #torchName()} the mergekit/PyTorch spelling used in YAML and config.json.
 */
public enum DType {
    F64("F64", "float64", 8, true),
    F32("F32", "float32", 4, true),
    F16("F16", "float16", 2, true),
    BF16("BF16", "bfloat16", 2, true),
    F8_E4M3("F8_E4M3", "float8_e4m3fn", 1, true),
    F8_E5M2("F8_E5M2", "float8_e5m2", 1, true),
    I64("I64", "int64", 8, false),
    I32("I32", "int32", 4, false),
    I16("I16", "int16", 2, false),
    I8("I8", "int8", 1, false),
    U8("U8", "uint8", 1, false),
    BOOL("BOOL", "bool", 1, false);

    private final String safetensorsName;
    private final String torchName;
    private final int byteSize;
    private final boolean floating;

    DType(String safetensorsName, String torchName, int byteSize, boolean floating) {
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public String safetensorsName() { return safetensorsName; }

    public String torchName() { return torchName; }

    public int byteSize() { return byteSize; }

    public boolean isFloating() { return floating; }

    public static Optional<DType> fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /**
     * The dtype names mergekit accepts in a config ({@code bfloat16}, {@code float16}, {@code float32},
     * {@code int64}, optionally prefixed {@code torch.}).
     */
    public static Optional<DType> fromConfigName(String name) {
        if (name == null) return Optional.empty();
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.startsWith("torch.")) n = n.substring("torch.".length());
        return switch (n) {
            case "bfloat16" -> Optional.of(BF16);
            case "float16" -> Optional.of(F16);
            case "float32" -> Optional.of(F32);
            case "int64" -> Optional.of(I64);
            default -> Optional.empty();
        };
    }

    /** Names accepted by {@link #fromConfigName}, for error messages. */
    public static String configNames() { return "bfloat16, float16, float32, int64"; }
}
