using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Components;

namespace Connect.Admin.Components.Pages;

/// <summary>The signed-in user: who she is, her password, and her API keys (made here, shown once, revoked here).</summary>
public sealed partial class Me : ClusterPage
{
    private Caller? _caller;
    private IReadOnlyList<ApiKey> _keys = [];
    private string? _newName;
    private string? _secret;
    private string? _problem;

    private string? _current;
    private string? _replacement;
    private string? _passwordMessage;
    private bool _passwordChanged;

    [Inject]
    public required IAccountKeys Keys { get; set; }

    [Inject]
    public required IPeople People { get; set; }

    [Inject]
    public required ConnectOptions Options { get; set; }

    private async Task ChangePasswordAsync()
    {
        var problem = await People.ChangeOwnPasswordAsync(_caller!, _current, _replacement, CancellationToken.None);
        (_passwordChanged, _passwordMessage) = (problem is null, problem ?? "Your password is changed.");
        (_current, _replacement) = (null, null);
    }

    protected override async Task OnInitializedAsync()
    {
        _caller = await CallerAsync();
        if (_caller is not null)
        {
            _keys = await Keys.ListAsync(_caller, CancellationToken.None);
        }
    }

    public static string RoleText(Caller caller) => caller.Role switch
    {
        UserRole.Administrator => "an administrator",
        UserRole.Publisher => "a publisher",
        _ => "a viewer",
    };

    private async Task CreateAsync()
    {
        var made = await Keys.CreateAsync(_caller!, _newName, CancellationToken.None);
        (_secret, _problem) = (made.Secret, made.Problem);
        if (made.Problem is null)
        {
            _newName = null;
            _keys = await Keys.ListAsync(_caller!, CancellationToken.None);
        }
    }

    private async Task RevokeAsync(ApiKey key)
    {
        _secret = null;
        _problem = await Keys.RevokeAsync(_caller!, key.Id, CancellationToken.None) ? null : $"key '{key.Name}' could not be revoked (it was revoked already)";
        _keys = await Keys.ListAsync(_caller!, CancellationToken.None);
    }
}
