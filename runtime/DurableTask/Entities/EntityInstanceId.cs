namespace Serverless.DurableTask.Entities;

/// <summary>The id of a durable entity: a name (lower-cased) and a key. Written as <c>@name@key</c>.</summary>
public readonly record struct EntityInstanceId
{
    /// <summary>Initializes a new instance of the <see cref="EntityInstanceId"/> struct.</summary>
    public EntityInstanceId(string name, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(key);
        if (name.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException("An entity name cannot contain '@'.", nameof(name));
        }

        Name = name.ToLowerInvariant();
        Key = key;
    }

    /// <summary>Gets the entity name (lower case).</summary>
    public string Name { get; }

    /// <summary>Gets the entity key.</summary>
    public string Key { get; }

    /// <summary>Parses <c>@name@key</c>.</summary>
    public static EntityInstanceId FromString(string instanceId)
    {
        if (!TryParse(instanceId, out var id))
        {
            throw new ArgumentException($"'{instanceId}' is not an entity instance id (expected @name@key).", nameof(instanceId));
        }

        return id;
    }

    /// <summary>Tries to parse <c>@name@key</c>.</summary>
    public static bool TryParse(string? instanceId, out EntityInstanceId id)
    {
        id = default;
        if (instanceId is null || instanceId.Length < 3 || instanceId[0] != '@')
        {
            return false;
        }

        var at = instanceId.IndexOf('@', 1);
        if (at <= 1)
        {
            return false;
        }

        id = new EntityInstanceId(instanceId[1..at], instanceId[(at + 1)..]);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"@{Name}@{Key}";
}
