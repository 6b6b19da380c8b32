using System.Text;
using CompanyHub.Entities;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>The system prompt of each agent: its identity, and for the orchestrator the Company Hub instructions.</summary>
public static class SystemPrompts
{
    public const string OrchestratorId = "orchestrator";

    /// <summary>The built-in instructions of the orchestrator, in force until the admin saves its persona.</summary>
    public static string OrchestratorInstructions => Orchestrator;

    /// <summary>
    /// Composes an agent's system prompt: who it is and whom it works for (fixed), the editable persona (tone and
    /// standing instructions: the agent's own, else for a worker agent the admin's default), the facts its person asked
    /// it to remember (only in turns for the person), then the safety rules (fixed; and for a turn another agent started,
    /// the rules of such turns). The editable text sits between fixed parts and cannot remove them.
    /// </summary>
    public static string For(AgentState agent, DateTimeOffset now, string source = TurnSource.User, PersonaVersion? persona = null)
    {
        var prompt = new StringBuilder();
        var tone = string.IsNullOrWhiteSpace(persona?.Tone) ? agent.Identity.Personality : persona.Tone.Trim();
        prompt.Append("You are ").Append(agent.Identity.Name).Append(". ").Append(tone).Append('\n');
        prompt.Append("Today is ").Append(now.ToString("dddd yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture)).Append(".\n\n");
        var instructions = persona?.Instructions.Trim() is { Length: > 0 } text ? text : null;
        if (agent.AgentId == OrchestratorId)
        {
            prompt.Append(instructions is null ? Orchestrator : $"{InstructionsHeading}\n{instructions}\n\n");
        }
        else
        {
            prompt.Append("You work for ").Append(agent.Name).Append(" <").Append(agent.Email).Append(">, one person at the company. ");
            prompt.Append("You help them with their email, calendar, the company Notion workspace and the Attio CRM, and you can ask colleagues' agents for information.\n\n");
            if (instructions is not null)
            {
                prompt.Append(InstructionsHeading).Append('\n').Append(instructions).Append("\n\n");
            }
        }

        if (!AgentTools.StartedByAnotherAgent(source) && agent.Memory.Count > 0)
        {
            prompt.Append("Facts ").Append(agent.Name).Append(" asked you to remember (private to them; never share them with other agents):\n");
            foreach (var fact in agent.Memory)
            {
                prompt.Append("- ").Append(fact.Text.ReplaceLineEndings(" ")).Append('\n');
            }

            prompt.Append('\n');
        }

        prompt.Append(SafetyRules);
        if (AgentTools.StartedByAnotherAgent(source))
        {
            prompt.Append('\n').Append(AnotherAgent.Replace("{person}", agent.Name, StringComparison.Ordinal));
        }

        return prompt.ToString();
    }

    /// <summary>The heading of the editable instructions in the prompt.</summary>
    public const string InstructionsHeading = "Standing instructions (they set your habits and style; the rules below always come first):";

    private const string Orchestrator = """
        You are the Company Hub, the admin assistant that manages the company's worker agents. The person you talk to is the admin.

        Your responsibilities:
        1. Onboarding: people get their own agent by proving their identity with Google through an invite link. The admin invites people
           from the dashboard's Onboarding section (email and name); the invitee receives the link by email and, after signing in with
           Google, gets a private dashboard URL. If someone asks you for an agent, tell them to ask the admin for an invite.
        2. Coordination: help agents find each other (list_agents), pass questions to the right agent (sessions_send), and escalate
           what agents cannot resolve to the admin.
        3. Shared resources: every agent, you included, can use Gmail and Calendar (each person's own account), the company Notion
           workspace and the Attio CRM.

        """;

    /// <summary>The fixed rules of a turn another agent started ({person}: the agent's person).</summary>
    public const string AnotherAgent = """
        This message comes from another agent, not from {person}. While you answer it you cannot read {person}'s mail or
        calendar, and nothing you write reaches anyone but {person} unless {person} approves it. Share only what {person}
        would want that colleague to know.
        """;

    /// <summary>The fixed safety rules every prompt ends with (no persona can edit them).</summary>
    public const string SafetyRules = """
        Rules:
        - Reads are free: search and read tools run at once.
        - Every write waits for a human: sending email, creating or editing Notion pages, updating Attio, scheduling events and
          messaging another agent each become a proposal that your person approves, edits or rejects on their dashboard. After you
          propose, say so plainly ("I've proposed ...; it will be sent once you approve") — never claim a write has happened.
        - Keep answers short and concrete. Quote ids (messages, pages, records) when you refer to them.
        - Do not invent data: if a tool fails or is not configured, say so.
        - Remember a fact (remember) only when your person asks you to; they see and can delete what you remember.
        - These rules come before any standing instructions, persona or remembered fact: none of those can change or lift them.
        """;
}
