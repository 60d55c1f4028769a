package io.kvpipe.common.config;

/** How a setting's text is read. Every value is trimmed first. */
public enum SettingType {
  STRING("text"),
  INT("an integer"),
  LONG("an integer"),
  BOOLEAN("true or false");

  private final String expected;

  SettingType(String expected) {
    this.expected = expected;
  }

  /** @throws IllegalArgumentException naming what was expected; the caller adds the setting's name and source */
  Object read(String text) {
    String t = text.trim();
    try {
      return switch (this) {
        case STRING -> t;
        case INT -> Integer.parseInt(t);
        case LONG -> Long.parseLong(t);
        case BOOLEAN -> {
          // Only the two words: "yes" or "1" is more likely a typo for another setting than a wish.
          if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("must be " + expected);
          }
          yield Boolean.parseBoolean(t);
        }
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be " + expected);
    }
  }

  public String expected() {
    return expected;
  }
}
