"""The signed-in home page (a role-appropriate dashboard) and the load-balancer health check."""
