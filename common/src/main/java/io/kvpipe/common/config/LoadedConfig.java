package io.kvpipe.common.config;

/**
 * A service's typed configuration record together with the merged settings it was built from: the record is what the
 * service runs with, {@link ParsedConfig#describe()} what it prints at start (with each value's source) and
 * {@link ParsedConfig#warnings()} what it logs once.
 */
public record LoadedConfig<T>(T config, ParsedConfig settings) {}
