namespace CompanyHub.Integrations.Notion;

/// <summary>A block to append: its Notion type, its plain text and, for a to-do, whether it is checked.</summary>
/// <param name="Type">One of <see cref="Types"/>.</param>
/// <param name="Text">The block's text (empty for a divider).</param>
/// <param name="Checked">Whether a <c>to_do</c> is checked; ignored by the other types.</param>
public sealed record NotionBlockDraft(string Type, string Text, bool? Checked = null)
{
    /// <summary>Gets the block types the hub writes.</summary>
    public static IReadOnlyList<string> Types { get; } =
        ["paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do", "quote", "divider"];
}
