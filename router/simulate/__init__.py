"""What-if simulation (SPEC B2): the real routing service and in-memory store on a virtual
clock, fed by a scenario of arrivals, handle times and agents, so staffing and policy
changes can be compared before they reach production."""
