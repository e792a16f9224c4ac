// Superseded facts: each replaced fact, the fact that replaced it, and who they are about.
// Set first:  :param user_id => 'quickstart-alice'
MATCH p = (new:Fact {user_id: $user_id})-[:SUPERSEDES]->(old:Fact)
OPTIONAL MATCH about = (old)-[:ABOUT]->(:Entity)
RETURN p, about
