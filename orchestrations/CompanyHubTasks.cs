using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Notifications;
using CompanyHub.Orchestrations.Onboarding;
using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations;

/// <summary>Every orchestrator, activity and entity of the app, by name.</summary>
public static class CompanyHubTasks
{
    public static DurableTaskRegistry Register(DurableTaskRegistry registry) => registry
        .AddOrchestrator<ApprovalOrchestration>()
        .AddOrchestrator<AgentMailboxOrchestration>()
        .AddOrchestrator<AgentTurnOrchestration>()
        .AddOrchestrator<OnboardingOrchestration>()
        .AddOrchestrator<EntityCallOrchestration>()
        .AddOrchestrator<BroadcastOrchestration>()
        .AddOrchestrator<Channels.TelegramDeliveryOrchestration>()
        .AddOrchestrator<Knowledge.KnowledgeSyncOrchestration>()
        .AddActivity<SyncKnowledgeBatch>()
        .AddActivity<RemoveMissingKnowledge>()
        .AddActivity<ExecuteProposalAction>()
        .AddActivity<RecordAudit>()
        .AddActivity<CallLlm>()
        .AddActivity<RunReadTool>()
        .AddActivity<CreateProposal>()
        .AddActivity<EnsureMailbox>()
        .AddActivity<StartBackgroundTurn>()
        .AddActivity<ArchiveConversation>()
        .AddActivity<PlanOnboarding>()
        .AddActivity<CreateInvite>()
        .AddActivity<SendInviteEmail>()
        .AddActivity<MintUserToken>()
        .AddActivity<SendReadyEmail>()
        .AddActivity<StartOnboardingFromProposal>()
        .AddActivity<PrepareGrantCheck>()
        .AddActivity<SendTelegram>()
        .AddActivity<QueueTelegram>()
        .AddActivity<OfferProposalOnTelegram>()
        .AddOrchestrator<NotificationOrchestration>()
        .AddActivity<PlanNotification>()
        .AddActivity<SendNotification>()
        .AddEntity<NotifierEntity>(NotifierEntity.Name)
        .AddEntity<AgentEntity>(AgentEntity.Name)
        .AddEntity<DirectoryEntity>(DirectoryEntity.Name)
        .AddEntity<InviteEntity>(InviteEntity.Name)
        .AddEntity<GrantPolicyEntity>(GrantPolicyEntity.Name)
        .AddEntity<OAuthStateEntity>(OAuthStateEntity.Name)
        .AddEntity<PersonaEntity>(PersonaEntity.Name)
        .AddEntity<TelegramEntity>(TelegramEntity.Name);
}
