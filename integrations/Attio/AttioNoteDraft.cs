namespace CompanyHub.Integrations.Attio;

/// <summary>A note to attach to a record.</summary>
/// <param name="Parent">The record the note belongs to.</param>
/// <param name="Title">The title (plain text).</param>
/// <param name="Content">The text.</param>
/// <param name="Markdown">Whether <paramref name="Content"/> is markdown rather than plain text.</param>
public sealed record AttioNoteDraft(AttioRecordReference Parent, string Title, string Content, bool Markdown = false);
