using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>One saved version of a persona: the agent's tone and its standing instructions, who saved it and when.</summary>
/// <param name="Version">1, 2, ... in the order saved (a restore saves a new version).</param>
/// <param name="Tone">How the agent sounds (replaces the personality it was created with); empty for the built-in one.</param>
/// <param name="Instructions">Standing instructions (for the orchestrator: its Company Hub instructions); empty for none (the built-in ones).</param>
/// <param name="By">The actor who saved it (<c>admin</c>, <c>user:&lt;agentId&gt;</c>).</param>
/// <param name="At">When it was saved.</param>
/// <param name="RestoredFrom">The version it copies, when it was saved by restoring one.</param>
public sealed record PersonaVersion(int Version, string Tone, string Instructions, string By, DateTimeOffset At, int? RestoredFrom = null);

/// <summary>A new version to save (<see cref="PersonaEntity.Save"/>).</summary>
public sealed record PersonaEdit(string Tone, string Instructions, string By, DateTimeOffset At, int? RestoredFrom = null);

/// <summary>The versions of one persona, oldest first, at most <see cref="MaxVersions"/>.</summary>
public sealed class PersonaState
{
    public const int MaxVersions = 50;

    public List<PersonaVersion> Versions { get; set; } = [];

    public int LastVersion { get; set; }

    public PersonaVersion? Current => Versions.Count == 0 ? null : Versions[^1];
}

/// <summary>
/// The editable part of an agent's system prompt (entity <c>persona@&lt;key&gt;</c>): the key is an agent id (the
/// orchestrator's is <c>orchestrator</c>) or <see cref="DefaultKey"/>, the admin's persona for every agent whose person
/// has not saved their own. Versioned: every save is a new version, the older ones stay to be shown and restored. The
/// safety rules are not part of it (<c>SystemPrompts</c> composes them around it).
/// </summary>
public sealed class PersonaEntity : TaskEntity<PersonaState?>
{
    public const string Name = "persona";

    /// <summary>The key of the default persona (agent ids are derived from email addresses, so never this).</summary>
    public const string DefaultKey = "default";

    public const int MaxTone = 300;
    public const int MaxInstructions = 4000;

    protected override PersonaState? InitializeState(TaskEntityOperation operation) => null;

    public static EntityInstanceId Id(string key) => new(Name, key);

    /// <summary>Null until a version is saved: reading a persona creates nothing.</summary>
    public PersonaState? Get() => State;

    /// <summary>Saves a new version; returns it.</summary>
    public PersonaVersion Save(PersonaEdit edit)
    {
        State ??= new PersonaState();
        var version = new PersonaVersion(State.LastVersion + 1, edit.Tone, edit.Instructions, edit.By, edit.At, edit.RestoredFrom);
        State.LastVersion = version.Version;
        State.Versions.Add(version);
        if (State.Versions.Count > PersonaState.MaxVersions)
        {
            State.Versions.RemoveRange(0, State.Versions.Count - PersonaState.MaxVersions);
        }

        return version;
    }
}
