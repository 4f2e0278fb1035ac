"""The solver engines under the objectives (private to the optimize stage).

``active_set`` (block principal pivoting on box QPs, with ``kkt`` its linear algebra),
``simplex`` (the long-only loop), ``box_qp`` (QPs of a Problem, solved and KKT-verified),
``conic`` and ``conic_program`` (Clarabel, verified), ``cvar_generation`` (the CVaR LP by
scenario generation on HiGHS, certified by duality).
"""
