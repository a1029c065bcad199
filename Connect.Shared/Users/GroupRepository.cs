using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Users;

/// <summary>A named set of users that content can be shared with.</summary>
/// <param name="Provider">Null for a group made here; else the sign-in provider whose groups it mirrors (its members come from there).</param>
public sealed record UserGroup(long Id, string Guid, string Name, long? OwnerId, DateTimeOffset CreatedAt, string? Provider = null);

public sealed class GroupRepository(ConnectDatabase database)
{
    private const string SelectGroup = "SELECT id, guid, name, owner_id, created_at, provider FROM user_groups";

    /// <summary>Longest group name a provider may give.</summary>
    public const int MaxProviderNameLength = 255;

    /// <summary>Whether a provider's group name can be a group here: not empty, no control characters, not too long.</summary>
    public static bool IsProviderName(string name) => name.Length is > 0 and <= MaxProviderNameLength && !name.Any(char.IsControl);

    public static string? ValidateName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ' ')
            ? null
            : $"'{name}' is not a valid group name (letters, digits, ' ', '_', '-', '.'; at most 64)";

    /// <summary>Creates a group; null when the name is taken.</summary>
    public async Task<UserGroup?> CreateAsync(string name, long? ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO user_groups (guid, name, owner_id, created_at) VALUES (@guid, @name, @ownerId, {{NOW}})
            ON CONFLICT (name) DO NOTHING RETURNING id
            """), new { guid = Guid.NewGuid().ToString(), name, ownerId }, cancellationToken: cancellationToken));
        return id is null ? null : await GetAsync(id.Value, cancellationToken);
    }

    /// <summary>
    /// The group <paramref name="provider"/> has under <paramref name="name"/>, made now if it is not here yet (its
    /// members come at their sign-ins); null when a group made here, or another provider's, has the name.
    /// </summary>
    public async Task<UserGroup?> AddFromProviderAsync(string name, string provider, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Two nodes may make one at once: the second finds it made.
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO user_groups (guid, name, owner_id, created_at, provider) VALUES (@guid, @name, NULL, {{NOW}}, @provider)
            ON CONFLICT (name) DO NOTHING
            """), new { guid = Guid.NewGuid().ToString(), name, provider }, cancellationToken: cancellationToken));
        var group = (await connection.QuerySingleAsync<Row>(new CommandDefinition(SelectGroup + " WHERE name = @name", new { name }, cancellationToken: cancellationToken))).ToGroup();
        return group.Provider == provider ? group : null;
    }

    public async Task<UserGroup?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectGroup + " WHERE id = @id", new { id }, cancellationToken);

    public async Task<UserGroup?> FindByGuidAsync(string guid, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectGroup + " WHERE guid = @guid", new { guid }, cancellationToken);

    public async Task<IReadOnlyList<UserGroup>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition(SelectGroup + " ORDER BY name", cancellationToken: cancellationToken))).Select(r => r.ToGroup()).ToList();
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM content_permissions WHERE principal_type = 'group' AND principal_id = @id", new { id }, cancellationToken: cancellationToken));
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM user_groups WHERE id = @id", new { id }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> AddMemberAsync(long groupId, long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO group_members (group_id, user_id) VALUES (@groupId, @userId) ON CONFLICT DO NOTHING", new { groupId, userId }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> RemoveMemberAsync(long groupId, long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM group_members WHERE group_id = @groupId AND user_id = @userId", new { groupId, userId }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<User>> MembersAsync(long groupId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserRepository.UserRow>(new CommandDefinition($"""
            SELECT {UserRepository.Columns}
            FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = @groupId ORDER BY u.username
            """, new { groupId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToUser()).ToList();
    }

    /// <summary>
    /// Makes <paramref name="userId"/> a member of exactly the groups <paramref name="provider"/> names for her (made
    /// here on first sight), leaving groups made here alone. A name a local group already has is skipped: a provider
    /// cannot put anyone into a group it does not own. Writes only what changed.
    /// </summary>
    /// <returns>The names skipped because a local group has them.</returns>
    public async Task<IReadOnlyList<string>> SyncProviderMembershipAsync(long userId, string provider, IReadOnlyCollection<string> names, CancellationToken cancellationToken = default)
    {
        var target = new HashSet<long>();
        var skipped = new List<string>();
        foreach (var name in names.Where(IsProviderName).Distinct(StringComparer.Ordinal))
        {
            if (await AddFromProviderAsync(name, provider, cancellationToken) is { } group)
            {
                target.Add(group.Id);
            }
            else
            {
                skipped.Add(name);
            }
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var current = (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT g.id FROM group_members m JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = @userId AND g.provider = @provider
            """, new { userId, provider }, cancellationToken: cancellationToken))).ToHashSet();
        foreach (var groupId in target.Except(current))
        {
            await AddMemberAsync(groupId, userId, cancellationToken);
        }

        foreach (var groupId in current.Except(target))
        {
            await RemoveMemberAsync(groupId, userId, cancellationToken);
        }

        return skipped;
    }

    private async Task<UserGroup?> QueryOneAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
        return row?.ToGroup();
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public string Guid { get; init; } = "";
        public string Name { get; init; } = "";
        public long? OwnerId { get; init; }
        public long CreatedAt { get; init; }
        public string? Provider { get; init; }

        public UserGroup ToGroup() => new(Id, Guid, Name, OwnerId, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Provider);
    }
}
