using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Users;

/// <summary>A named set of users that content can be shared with.</summary>
public sealed record UserGroup(long Id, string Guid, string Name, long? OwnerId, DateTimeOffset CreatedAt);

public sealed class GroupRepository(ConnectDatabase database)
{
    private const string SelectGroup = "SELECT id, guid, name, owner_id, created_at FROM user_groups";

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
        var rows = await connection.QueryAsync<UserRepository.UserRow>(new CommandDefinition("""
            SELECT u.id, u.guid, u.username, u.email, u.role, u.locked, u.created_at
            FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = @groupId ORDER BY u.username
            """, new { groupId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToUser()).ToList();
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

        public UserGroup ToGroup() => new(Id, Guid, Name, OwnerId, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
