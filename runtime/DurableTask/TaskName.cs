namespace Serverless.DurableTask;

/// <summary>The name of an orchestrator, activity or entity. Compared case-insensitively.</summary>
public readonly record struct TaskName
{
    /// <summary>Initializes a new instance of the <see cref="TaskName"/> struct.</summary>
    public TaskName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Gets the name.</summary>
    public string Name { get; }

    /// <summary>Converts a string to a task name.</summary>
    public static implicit operator TaskName(string name) => new(name);

    /// <summary>Converts a task name to its string.</summary>
    public static implicit operator string(TaskName name) => name.Name;

    /// <inheritdoc/>
    public bool Equals(TaskName other) => string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Name ?? string.Empty);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
