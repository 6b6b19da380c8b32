namespace CompanyHub.Orchestrations;

/// <summary>The rule for text people and agents write (chat, broadcasts, proposal fields): any Unicode but control characters.</summary>
public static class FreeText
{
    /// <summary>The message that goes with a refusal.</summary>
    public const string ControlCharacters = "must not contain control characters (such as NUL) other than tabs and line breaks.";

    /// <summary>Whether the text has a control character other than tab, line feed or carriage return.</summary>
    public static bool HasControlCharacters(string text) => text.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r'));
}
